#!/usr/bin/env cwl-runner
# Counts the lines of one input file: a one-step CWL workflow for omicsd's local executor.
cwlVersion: v1.2
class: Workflow
doc: Counts the lines of a text file with wc -l.

inputs:
  input:
    type: File
    doc: The text file whose lines are counted.

outputs:
  count:
    type: File
    outputSource: count_lines/count

steps:
  count_lines:
    run: count-lines.cwl
    in:
      input: input
    out: [count]

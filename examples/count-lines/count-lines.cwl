#!/usr/bin/env cwl-runner
# The single tool of the count-lines workflow: `wc -l < input > count.txt`.
cwlVersion: v1.2
class: CommandLineTool
doc: Writes the number of lines of `input` to count.txt.
requirements:
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
hints:
  DockerRequirement:
    dockerPull: debian:bookworm-slim

baseCommand: [wc, -l]
stdin: $(inputs.input.path)
stdout: count.txt

inputs:
  input:
    type: File

outputs:
  count:
    type: stdout

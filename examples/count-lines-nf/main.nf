// Counts the lines of one input file: the Nextflow twin of examples/count-lines.
nextflow.enable.dsl = 2

params.input = null
params.outdir = 'results'

process COUNT_LINES {
  publishDir params.outdir, mode: 'copy'

  input:
  path f

  output:
  path 'count.txt'

  script:
  """
  wc -l < ${f} > count.txt
  """
}

workflow {
  COUNT_LINES(Channel.fromPath(params.input, checkIfExists: true))
}

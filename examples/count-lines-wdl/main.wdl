version 1.0

# Counts the lines of one input file: the WDL twin of examples/count-lines.
workflow count_lines {
  input {
    File input_file
  }
  call wc { input: f = input_file }
  output {
    File count = wc.count
  }
}

task wc {
  input {
    File f
  }
  command <<<
    wc -l < ~{f} > count.txt
  >>>
  output {
    File count = "count.txt"
  }
}

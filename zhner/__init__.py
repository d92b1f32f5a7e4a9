"""zhner: the command line of zh-industry-ner (see ``zhner --help``)."""

"""train stage of zh-industry-ner."""

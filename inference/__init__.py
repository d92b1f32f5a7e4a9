"""inference stage of zh-industry-ner."""

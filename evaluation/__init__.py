"""evaluation stage of zh-industry-ner."""

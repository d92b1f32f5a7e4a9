"""models stage of zh-industry-ner."""

"""What the lessons call: one helper module per lesson topic (the map is in README.md, "Where things are").

| lesson | helpers |
|---|---|
| 00 start here | environment (which world this is, which versions matter) |
| 01 tokenization | tokenization |
| 02 hidden states, the pooler, one layer | hidden_states, anatomy, attention, probes |
| 03 the masked-LM head | masked_lm, published |
| 04 the QA span head | qa, published |
| 05 zero-shot and classification heads | zero_shot, classification_heads, published |
| 06 the training loop and the real run | pitfalls, finetune (the command line, several GPUs) |
| 07 fine-tuning modes | widgets, pitfalls |
| 08 encoders since BERT | modern (ModernBERT taken apart), published |
| 09 use your own model | own_data |

Each imports only from `course_lib.core` (and from another lesson module where one lesson builds on another).
"""

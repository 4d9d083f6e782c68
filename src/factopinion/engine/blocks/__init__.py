"""The feature blocks of the model file, one module per kind: ``tfidf``, ``style``, ``lexicon``,
``vectors`` (static word vectors)."""

import pandas as pd

from factopinion import load_model

model = load_model()
articles = pd.read_csv("articles.csv", index_col="id")
print(model.label_series(articles["text"], unit="document"))
sentences = model.label_series(articles["text"], unit="sentence")
print(sentences[["sentence_index", "label", "opinion_probability"]])

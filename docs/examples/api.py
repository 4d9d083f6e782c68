from factopinion import load_model, split_sentences

model = load_model()  # the bundled model; load_model("my-model") for a model you trained
document = model.score("The council met on Tuesday. It should resign.")
for s in document.sentences:
    print(s.index, s.start, s.end, s.label, round(s.opinion_probability, 3), s.sentence)
print(document.summary)

texts = ["Prices rose 3% in May.", "This plan is a farce and should be scrapped."]
print(model.predict_proba(texts).round(3))  # scikit-learn's convention: columns fact, opinion
print(model.predict(texts, threshold=0.5))
print([span.text for span in split_sentences("Mr. Lee arrived in the U.S. on Monday. He left.")])

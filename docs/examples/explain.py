from factopinion import load_model

model = load_model()
(why,) = model.explain(["The plan is a disgrace and must be dropped."])
print(round(why.log_odds, 9) == round(why.intercept + sum(t.contribution for t in why.terms), 9))
print([(cue.display, round(cue.contribution, 3)) for cue in why.toward("opinion", 3)])

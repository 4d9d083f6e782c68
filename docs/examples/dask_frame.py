import dask.dataframe as dd
import pandas as pd

from factopinion.dask import label_dataframe

frame = pd.DataFrame(
    {
        "id": [1, 2, 3],
        "text": [
            "The council voted 7-2 on Tuesday. It is a shameful decision.",
            None,
            "Officials said the move would save £40,000 a year.",
        ],
    }
)
ddf = dd.from_pandas(frame, npartitions=2)  # or dd.read_parquet("archive/")
labeled = label_dataframe(ddf, "text", unit="sentence")
print(labeled.drop(columns="text").compute().to_string())
print(label_dataframe(ddf, "text", unit="document").drop(columns="text").compute().to_string())

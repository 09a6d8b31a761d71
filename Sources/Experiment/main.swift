print("PostTrainLab: experiments arrive with the harness issue.")

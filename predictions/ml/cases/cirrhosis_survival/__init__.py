"""Case 5: survival of primary biliary cirrhosis (Mayo Clinic trial, 1974-1984).

EDA (cirrhosis.csv, 418 patients, no duplicates):
- `Status` is C (alive at the end of follow-up) 232, D (died) 161, CL (alive thanks to
  a liver transplant) 25; `N_Days` is the follow-up, 41 days to 13.1 years. The data is
  time-to-event: death is the event, a transplant or the end of follow-up censors. As
  classification (C / CL / D without the follow-up time) the outcome depends on how long
  each patient happened to be followed, which nobody knows at prediction time: the first
  generation stalled at log loss 0.64 (`legacy.py`). `N_Days` is the target's time here,
  never an input; `ID` is an id.
- Missing values are literal `NA`. The 106 patients with `ID > 312` were not in the drug
  trial: they miss Drug, Ascites, Hepatomegaly, Spiders, Cholesterol, Copper, Alk_Phos,
  SGOT and Tryglicerides (a few more miss Platelets, Prothrombin, Stage). The model
  imputes the training medians; the API accepts null (or omission) for exactly these
  fields.
- `Age` is in days in the file; the API takes years (days / 365.25).
- Skewed labs (bilirubin, albumin, prothrombin, copper, SGOT) enter as logarithms, edema
  (N, S, Y) as 0, 0.5, 1.

Models (`model.py`, judged in `evaluation.py`): the baseline is the published Mayo model's
Cox regression on its five variables, refitted in every fold; production adds urine
copper, SGOT and histologic stage. These three were chosen by comparing three variable
sets under the same 5x5-fold CV (Mayo five: Harrell's C 0.832; all 17 values with a ridge
penalty: 0.836-0.840; Mayo five plus copper, SGOT, stage: 0.844), a comparison that was not
nested, so the production figure may be optimistic by about the gap between the sets;
the penalty (alpha = 1) is fixed, not tuned. Gradient-boosted and random-forest survival
models reached 0.824 and 0.823 in an independent measurement (issue 16).
"""

from predictions.ml.cases.cirrhosis_survival.case import CASE
from predictions.ml.cases.cirrhosis_survival.data import DATASET_FILES, FEATURES, SCHEMA

# First-generation artifacts unpickle this function by this path (see `legacy.py`).
from predictions.ml.cases.cirrhosis_survival.legacy import log_labs

__all__ = ["CASE", "DATASET_FILES", "FEATURES", "SCHEMA", "log_labs"]

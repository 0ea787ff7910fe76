"""Heat-flow calorimetry on the rig's own readings (Tr, Tj): how much heat the batch is really releasing, so the
accumulation the dosing permit gates on can be measured instead of only modelled.

The jacket's heat transfer is calibrated on the cool-down before dosing, when nothing reacts; the balance then
attributes whatever the transfer and the mass's own warming do not explain to the reaction.
"""

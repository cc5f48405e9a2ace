"""The failed-offer risk model: features, training, time-based validation and scoring.

Pure: arrays in, arrays and plain dictionaries out; no database or web framework here. The
model card is ``docs/support-model.md``. Risk is never a priority factor: it chooses who is
offered support, never where anyone stands on the waiting list.
"""

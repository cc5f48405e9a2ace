"""Pure numpy scoring core: rule documents, vectorised scorer, explanations, simulator."""

"""The progress console's parts: `page.py` composes them (it is the page `st.navigation` runs);
one module per form (`chapter`, `quiz`, `certificate`, `reset`), the learner search (`learner`),
the progress shown (`summary`), the history with its restore (`history`), and what every write
shares (`writes`)."""

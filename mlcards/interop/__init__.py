"""Interoperability: Hugging Face model cards and Model Card Toolkit cards in and out.

`hf` / `mct` import a foreign card into card.yaml + evaluation.yaml (written by
`common`), `hf_export` writes a Hugging Face README.md back.
"""

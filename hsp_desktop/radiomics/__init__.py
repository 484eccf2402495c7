"""radiomics package."""

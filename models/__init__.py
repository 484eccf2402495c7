"""The predictive model: estimators, development and validation, the CNN, and the locked model bundle.

``models`` never imports the application (``hsp_desktop``) except its error types; the app never imports
training code (torch) at run time.
"""

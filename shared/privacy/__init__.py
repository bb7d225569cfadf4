"""Data-subject rights (Mexico's ARCO: access, rectification, cancellation, objection): export, rectify, erase."""

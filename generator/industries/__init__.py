"""One module and one behaviour spec (JSON) per industry."""

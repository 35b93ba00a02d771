"""Photos shared by incidents, visits and tasks: content-addressed, EXIF-free, size-limited."""

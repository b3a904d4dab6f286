"""What a result becomes: pictures, mesh files, BVH skeletons and the bundle of files per photo."""

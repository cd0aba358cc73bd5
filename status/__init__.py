"""The status document: build it, save it atomically, restore it by load name, save it on a timer."""

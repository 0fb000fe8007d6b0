"""The upload portal: participants send their clip from a phone through the campaign's link.

Resumable uploads follow the tus 1.0 protocol (core + creation, https://tus.io/protocols/resumable-upload):
an upload is created with its length and the sender's form, then sent in chunks with PATCH at
an offset; after a broken connection the page asks the server (HEAD) how much arrived and goes
on from there, instead of starting again from zero on a weak 3G line.
"""

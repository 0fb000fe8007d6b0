"""The recap video: which approved, consented clips and which seconds of each (plan), the title
cards and lower thirds (cards), the render (moviepy holds the timeline, ffmpeg decodes and
encodes), and making one end to end and queueing it like any post (service). Clip intake and
review live in content_queue.clips."""

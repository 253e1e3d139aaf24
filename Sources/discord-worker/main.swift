print("discord-worker: not wired yet")

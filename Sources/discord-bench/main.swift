print("discord-bench: not wired yet")

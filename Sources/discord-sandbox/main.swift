print("discord-sandbox: not wired yet")

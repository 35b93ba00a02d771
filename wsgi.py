from patrol import create_app

app = create_app()

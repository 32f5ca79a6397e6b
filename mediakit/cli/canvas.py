import click
@click.command()
def canvas():
    """placeholder"""

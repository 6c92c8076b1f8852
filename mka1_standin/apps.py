from django.apps import AppConfig


class Mka1StandinConfig(AppConfig):
    name = "mka1_standin"
    verbose_name = "MKA1 stand-in server"

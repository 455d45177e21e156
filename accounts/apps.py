from django.apps import AppConfig
from django.conf.locale import LANG_INFO


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Django ships no Pashto locale; tell it the name and the direction.
        LANG_INFO.setdefault("ps", {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"})

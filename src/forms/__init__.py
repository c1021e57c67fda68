"""forms: the mailroom of Tokyo's 「金融機関と連携した海外展開支援」 programme."""

__version__ = "0.1.0"

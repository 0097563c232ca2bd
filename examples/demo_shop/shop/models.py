"""Order models (Django)."""

from django.db import models


class Order(models.Model):
    customer_email = models.EmailField()
    amount = models.IntegerField()
    # BAD: the full card number and the CVV stored in our database.
    card_number = models.CharField(max_length=19)
    cvv = models.CharField(max_length=4)
    # GOOD: what Stripe says is safe to keep.
    card_last4 = models.CharField(max_length=4)
    card_brand = models.CharField(max_length=20)
    stripe_payment_method_id = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)


class SavedCard(models.Model):
    customer_id = models.CharField(max_length=64)
    payment_method_id = models.CharField(max_length=64)
    last4 = models.CharField(max_length=4)
    exp_month = models.IntegerField()
    exp_year = models.IntegerField()
    fingerprint = models.CharField(max_length=64)

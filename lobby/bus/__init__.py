"""The one MQTT client layer (paho lives here and nowhere else in the product)."""

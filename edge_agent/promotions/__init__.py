"""营销信息发布: short promotions for the hall display's free area and the kiosk's home screen."""

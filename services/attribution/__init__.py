"""Attribution: campaigns, touches through buying groups, marketing influence and attribution."""

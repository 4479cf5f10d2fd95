"""Virtual study visits: 360° tours (hosted or embedded), the embed allow-list, tour progress."""

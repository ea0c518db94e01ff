"""dvc-kpi: online public-service KPIs of Vietnamese People's Committees, computed from the
one-stop system's monthly reports against the year's plan. No streamlit here."""

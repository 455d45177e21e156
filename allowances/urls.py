from allowances.views import payments, people, programmes, reports

app_name = "allowances"

urlpatterns = [
    # Coordinators: programmes, eligibility rules, periods (allowances.views.programmes).
    *programmes.urlpatterns,
    # Coordinators: batches, approval, provider files and callbacks (allowances.views.payments).
    *payments.urlpatterns,
    # Everyone: the digital-needs questionnaire, joining a programme, "My allowance".
    *people.urlpatterns,
    # Coordinators and donors: reports, charts, CSV (allowances.views.reports).
    *reports.urlpatterns,
]

import pickle

from hhforecast.core.errors import DataQualityError


def test_data_quality_error_pickles_with_its_own_fields():
    error = DataQualityError("2 week(s) where the fleet flew but kept HH is 0", file="metrics/failures.csv")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is DataQualityError
    assert (copy.detail, copy.file, str(copy)) == (error.detail, error.file, str(error))
    assert str(copy) == "2 week(s) where the fleet flew but kept HH is 0 (details in metrics/failures.csv)"

import pytest
import torch

from course_lib.device import available_devices, describe_device, pick_device
from course_lib.errors import DeviceUnavailableError


def test_auto_picks_the_best_available():
    assert pick_device().type == available_devices()[0]
    assert available_devices()[-1] == "cpu"


def test_cpu_always_works():
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_names_the_fix():
    with pytest.raises(DeviceUnavailableError) as info:
        pick_device("cuda")
    assert "Fix: pass device='cpu'" in str(info.value) and "Colab" in str(info.value)


def test_cpu_description_gives_a_gpu_hint():
    assert "Change runtime type" in describe_device(torch.device("cpu"))

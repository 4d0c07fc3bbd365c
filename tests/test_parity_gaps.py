"""Four gaps between minigan and PyTorch, closed: a child module set to None keeps an empty slot; gradcheck's
numeric arguments refuse booleans and meaningless values; nn.utils.parameters_to_vector and
vector_to_parameters; and minigan's own datasets are Datasets (``a + b``), with one rule for which the
DataLoader cuts a whole batch at a time."""

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.data import MNIST, ArrayDataset, ConcatDataset, DataLoader, Dataset, Subset, TensorDataset

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------ a child module set to None
def _net(lib):
    net = lib.Module()
    net.conv, net.act, net.out = lib.Linear(2, 2), lib.ReLU(), lib.Linear(2, 1)
    return net


def _seen(net):
    """What a learner sees of a module tree: its slots, children, modules, state_dict keys and parameter shapes."""
    return (list(net._modules), [n for n, _ in net.named_children()], [n for n, _ in net.named_modules()],
            list(net.state_dict()), [tuple(p.shape) for p in net.parameters()])


def test_a_child_set_to_none_keeps_its_slot_and_its_place_as_in_torch():
    ours, theirs = _net(nn), _net(torch.nn)
    ours.conv = theirs.conv = None
    assert _seen(ours) == _seen(theirs) == (["conv", "act", "out"], ["act", "out"], ["", "act", "out"],
                                            ["out.weight", "out.bias"], [(1, 2), (1,)])
    assert ours.conv is None and ours._modules["conv"] is None and "(conv): None" in repr(ours)
    ours.conv, theirs.conv = nn.Tanh(), torch.nn.Tanh()  # the slot is filled in its place (it went last)
    assert _seen(ours) == _seen(theirs) and list(ours._modules) == ["conv", "act", "out"]
    ours.conv = theirs.conv = None
    del ours.conv, theirs.conv  # del removes the slot itself
    assert _seen(ours) == _seen(theirs) and list(ours._modules) == ["act", "out"]
    with pytest.raises(AttributeError):
        ours.conv


def test_add_module_and_register_module_take_none_as_in_torch():
    ours, theirs = nn.Module(), torch.nn.Module()
    for lib, net in ((nn, ours), (torch.nn, theirs)):
        net.add_module("a", None)
        net.register_module("b", lib.Linear(2, 2))
        net.register_module("c", None)
        net.add_module("a", lib.Linear(2, 3))  # fills the empty slot
    assert _seen(ours) == _seen(theirs) and list(ours._modules) == ["a", "b", "c"] and ours.c is None
    for lib, net in ((nn, ours), (torch.nn, theirs)):  # the slot's name is taken: not a buffer or parameter
        with pytest.raises(KeyError, match="already"):
            net.register_buffer("c", None)
        with pytest.raises(KeyError, match="already"):
            net.register_parameter("c", None)
    with pytest.raises(TypeError, match=r"Module: child 'd' must be a Module, got int 3"):
        ours.add_module("d", 3)  # still refused


def test_a_value_that_is_not_a_module_is_refused_by_an_empty_slot_as_in_torch():
    for lib, value in ((nn, mg.zeros(2)), (torch.nn, torch.zeros(2))):
        net = _net(lib)
        net.conv = None
        with pytest.raises(TypeError, match="child module"):
            net.conv = value
        assert list(net._modules) == ["conv", "act", "out"] and net.conv is None
    net = _net(nn)
    net.conv = None
    with pytest.raises(TypeError, match=r"Module.conv is a child module: cannot assign a int to it \(nn.Module or None "
                                        r"expected, as in torch\): it holds no layer now \(None\)"):
        net.conv = 3
    net.conv = nn.Parameter(mg.zeros(2))  # a Parameter moves the name to the parameters, as in torch
    assert list(net._modules) == ["act", "out"] and list(net._parameters) == ["conv"]


def test_sequential_and_modulelist_take_a_none_slot_as_in_torch():
    ours = nn.Sequential(nn.Linear(2, 2), None, nn.Tanh())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), None, torch.nn.Tanh())
    assert _seen(ours) == _seen(theirs) and len(ours) == 3 and ours[1] is None
    ours[0], theirs[0] = None, None  # a layer replaced by an empty slot
    assert _seen(ours) == _seen(theirs) and list(ours) == [None, None, ours[2]]
    ours_list = nn.ModuleList([nn.ReLU()]).append(None)
    theirs_list = torch.nn.ModuleList([torch.nn.ReLU()]).append(None)
    assert _seen(ours_list) == _seen(theirs_list) and list(ours_list)[1] is None and len(ours_list) == 2


def test_train_to_apply_and_load_state_dict_walk_past_an_empty_slot_as_in_torch():
    ours, theirs = _net(nn), _net(torch.nn)
    checkpoint = ours.state_dict()  # with conv's weights
    ours.conv = theirs.conv = None
    ours.eval().to(mg.float64)
    theirs.eval().to(torch.float64)
    assert not ours.training and not ours.act.training and ours.out.weight.dtype == np.float64
    visited = []
    ours.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["ReLU", "Linear", "Module"]
    # keys below the empty slot are ignored, even when strict (torch's rule); the slot's own name is unexpected
    assert ours.load_state_dict(checkpoint) == ([], [])
    assert theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in _net(torch.nn).state_dict().items()},
                                  strict=True).unexpected_keys == []
    assert ours.out.weight.numpy().tolist() == checkpoint["out.weight"].numpy().astype(np.float64).tolist()
    assert ours.load_state_dict({**checkpoint, "conv": mg.zeros(1)}, strict=False).unexpected_keys == ["conv"]
    assert theirs.load_state_dict({"conv": torch.zeros(1)}, strict=False).unexpected_keys == ["conv"]


def test_get_submodule_of_an_empty_slot_is_an_error_as_in_torch():
    ours, theirs = nn.Sequential(_net(nn)), torch.nn.Sequential(_net(torch.nn))
    ours[0].conv = theirs[0].conv = None
    with pytest.raises(AttributeError):
        theirs.get_submodule("0.conv")
    with pytest.raises(AttributeError, match=r"get_submodule\('0.conv'\): '0' \(Module\)'s child 'conv' is None "
                                             r"\(an empty slot\); its children are act, out"):
        ours.get_submodule("0.conv")  # returned None
    with pytest.raises(AttributeError, match=r"'0' \(Module\)'s child 'conv' is None"):
        ours.get_parameter("0.conv.weight")
    assert ours.get_submodule("0.act") is ours[0].act


# ------------------------------------------------------------------ gradcheck's numeric arguments
def _x():
    return mg.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)


def _square(x):
    return x * x


@pytest.mark.parametrize("check", [mg.gradcheck, mg.gradgradcheck])
@pytest.mark.parametrize("name, value, error, message", [
    ("eps", True, TypeError, r"eps is the finite-difference step, a number > 0 \(finite, such as eps=1e-6\), got bool "
                             r"True"),
    ("eps", np.True_, TypeError, r"eps is the finite-difference step, a number > 0 .*got bool"),
    ("eps", "1e-6", TypeError, r"eps is the finite-difference step, a number > 0 .*got str '1e-6'"),
    ("eps", -1e-6, ValueError, r"eps is the finite-difference step, a number > 0 .*got -1e-06"),
    ("eps", float("nan"), ValueError, r"eps is the finite-difference step, a number > 0 .*got nan"),
    ("eps", float("inf"), ValueError, r"eps is the finite-difference step, a number > 0 .*got inf"),
    ("atol", True, TypeError, r"atol is the absolute tolerance, a number >= 0 \(finite, such as atol=1e-5\), got "
                              r"bool True"),
    ("atol", -1.0, ValueError, r"atol is the absolute tolerance, a number >= 0 .*got -1.0"),
    ("atol", float("inf"), ValueError, r"atol is the absolute tolerance.*got inf; an infinite tolerance would pass "
                                       r"any gradient"),
    ("rtol", False, TypeError, r"rtol is the relative tolerance, a number >= 0 .*got bool False"),
    ("rtol", float("nan"), ValueError, r"rtol is the relative tolerance, a number >= 0 .*got nan"),
    ("rtol", None, TypeError, r"rtol is the relative tolerance, a number >= 0 .*got NoneType None"),
])
def test_gradcheck_refuses_a_bool_or_a_meaningless_number_naming_the_argument(check, name, value, error, message):
    with pytest.raises(error, match=f"{check.__name__}: {message}"):
        check(_square, [_x()], **{name: value})  # eps=True was taken as 1.0


def test_gradcheck_takes_the_numbers_torch_takes():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for settings in (dict(atol=0), dict(rtol=0.0), dict(eps=np.float64(1e-4)), dict(atol=np.float32(1e-4))):
        assert torch.autograd.gradcheck(_square, (x,), **settings)
        assert mg.gradcheck(_square, [_x()], **settings) and mg.gradgradcheck(_square, [_x()], **settings)
    for settings in (dict(eps=True), dict(atol=-1.0), dict(rtol=float("nan"))):  # torch refuses these too
        with pytest.raises(RuntimeError):
            torch.autograd.gradcheck(_square, (x,), **settings)


# ------------------------------------------------------------------ parameters_to_vector, vector_to_parameters
def _twins():
    """The same small model in minigan and in torch (torch's initial weights copied into ours)."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    ours = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_parameters_to_vector_is_torchs_differentiable_join():
    ours, theirs = _twins()
    vec = nn.utils.parameters_to_vector(ours.parameters())
    their_vec = torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert vec.shape == (11,) and vec.dtype == np.float32 and vec.requires_grad
    np.testing.assert_array_equal(vec.numpy(), their_vec.detach().numpy())
    weights = np.linspace(-1.0, 1.0, 11, dtype=np.float32)  # a loss of the vector reaches every parameter
    (vec * mg.tensor(weights)).sum().backward()
    (their_vec * torch.tensor(weights)).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    with mg.no_grad():
        vec.zero_()  # a copy: the parameters keep their values
    assert nn.utils.parameters_to_vector(ours.parameters()).numpy().tolist() == their_vec.detach().numpy().tolist()


def test_vector_to_parameters_gives_each_parameter_its_slice_as_torch():
    ours, theirs = _twins()
    values = np.arange(11, dtype=np.float32) / 10
    vec = mg.tensor(values)
    nn.utils.vector_to_parameters(vec, ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(values), theirs.parameters())
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy(), err_msg=name)
        assert isinstance(p, nn.Parameter) and p.requires_grad and p.dtype == np.float32
    with mg.no_grad():
        vec[0] = 5.0  # as in torch, each parameter's data is a view of vec
    assert ours[0].weight.numpy()[0, 0] == 5.0
    assert nn.utils.parameters_to_vector(ours.parameters()).numpy().tolist()[1:] == values.tolist()[1:]


def test_vector_to_parameters_makes_an_earlier_graph_refuse_to_backpropagate():
    ours, _ = _twins()
    loss = (ours[0].weight ** 2).sum()  # uses the old values (torch's backward would use the new ones)
    nn.utils.vector_to_parameters(mg.zeros(11), ours.parameters())
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_parameters_to_vector_and_back_refuse_what_they_cannot_use_and_change_nothing():
    ours, theirs = _twins()
    before = nn.utils.parameters_to_vector(ours.parameters()).numpy().tolist()
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        torch.nn.utils.vector_to_parameters([0.0] * 11, theirs.parameters())
    with pytest.raises(RuntimeError):  # torch refuses a short vector too (a long one it cuts silently)
        torch.nn.utils.vector_to_parameters(torch.zeros(10), theirs.parameters())
    for call, error, message in [
        (lambda: nn.utils.vector_to_parameters([0.0] * 11, ours.parameters()), TypeError,
         r"vector_to_parameters: vec must be a minigan Tensor, got list"),
        (lambda: nn.utils.vector_to_parameters(mg.zeros(10), ours.parameters()), ValueError,
         r"vector_to_parameters: vec has shape \(10,\), the parameters need a 1-D tensor of 11 values"),
        (lambda: nn.utils.vector_to_parameters(mg.zeros(12), ours.parameters()), ValueError, r"vec has shape \(12,\)"),
        (lambda: nn.utils.vector_to_parameters(mg.zeros(11, 1), ours.parameters()), ValueError,
         r"vec has shape \(11, 1\)"),
        (lambda: nn.utils.vector_to_parameters(mg.zeros(11, dtype="float64"), ours.parameters()), TypeError,
         r"vec is float64 on 'cpu', parameter 0 is float32 on 'cpu'; convert vec first, vec.to\('cpu', 'float32'\)"),
        (lambda: nn.utils.vector_to_parameters(mg.zeros(11), ours), TypeError, r"got the module Sequential itself"),
        (lambda: nn.utils.parameters_to_vector(ours.parameters), TypeError,
         r"got the method 'parameters' itself; call it"),
        (lambda: nn.utils.parameters_to_vector([]), ValueError, r"parameters_to_vector: got no parameters"),
        (lambda: nn.utils.parameters_to_vector([mg.zeros(2), np.zeros(2)]), TypeError,
         r"parameters_to_vector: parameter 1 is a ndarray, not a minigan Tensor"),
        (lambda: nn.utils.parameters_to_vector([mg.zeros(2), mg.zeros(2, dtype="float64")]), TypeError,
         r"parameters_to_vector: the parameters have different dtypes \(float32, float64\)"),
    ]:
        with pytest.raises(error, match=message):
            call()
    assert nn.utils.parameters_to_vector(ours.parameters()).numpy().tolist() == before


def test_parameters_on_two_devices_are_refused_as_in_torch(device):
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    here, there = nn.Parameter(mg.zeros(2)), nn.Parameter(mg.zeros(3, device=device))
    for call in (lambda: nn.utils.parameters_to_vector([here, there]),
                 lambda: nn.utils.vector_to_parameters(mg.ones(5), [here, there])):
        with pytest.raises(TypeError, match=r"the parameters are on different devices \(cpu, cuda\)"):
            call()
    assert here.numpy().tolist() == [0.0, 0.0]
    nn.utils.vector_to_parameters(mg.arange(3.0, device=device), [there])
    assert there.device == "cuda" and there.numpy().tolist() == [0.0, 1.0, 2.0]


# ------------------------------------------------------------------ minigan's datasets are Datasets
def test_arraydataset_mnist_and_digits_are_datasets_and_add_up_as_in_torch():
    test = MNIST(train=False)
    small = ArrayDataset(np.ones((3, 1, 28, 28), dtype=np.float32), [7, 8, 9])
    assert isinstance(test, Dataset) and isinstance(small, Dataset) and issubclass(mg.data.Digits, Dataset)
    both = test + small
    assert isinstance(both, ConcatDataset) and len(both) == 10003 and both.cumulative_sizes == [10000, 10003]
    image, label = both[10001]
    assert label == 8 and image.shape == (1, 28, 28)
    images, labels = next(iter(DataLoader(both, 4, shuffle=True, seed=0)))  # stacked: the dtypes stay
    assert images.dtype == np.float32 and labels.dtype == np.int64 and images.shape == (4, 1, 28, 28)
    assert len(both + small) == 10006 and len(Subset(test, [0, 1]) + small) == 5


class _Recorded(np.ndarray):
    """An array that records the type of each index it is given (how a dataset cuts it)."""

    def __getitem__(self, index):
        _Recorded.asked.append(type(index).__name__)
        return np.asarray(self)[index]


def test_the_loader_cuts_a_batch_at_a_time_unless_getitem_is_the_datasets_own():
    """The rule: a Dataset whose __getitem__ is ArrayDataset's or TensorDataset's (not redefined) is cut a whole
    batch at a time; a subclass that defines its own __getitem__ is given one index at a time, as in torch."""
    images, labels = np.arange(10, dtype=np.float32).reshape(10, 1), np.arange(10) % 3

    class Plain(ArrayDataset):  # MNIST and Digits are such subclasses
        pass

    class Doubled(ArrayDataset):  # was cut a batch at a time, where a TensorDataset subclass was not
        def __getitem__(self, index):
            return self.images[index] * 2, self.labels[index]

    class DoubledRows(TensorDataset):
        def __getitem__(self, index):
            (x,) = super().__getitem__(index)
            return x * 2, int(index)

    for dataset, cut in [(ArrayDataset(images.view(_Recorded), labels), True),
                         (Plain(images.view(_Recorded), labels), True),
                         (Doubled(images.view(_Recorded), labels), False),
                         (DoubledRows(mg.tensor(images)), False)]:
        for data, order in ((dataset, [0, 1, 2]), (Subset(dataset, [9, 0, 4, 2, 7]), [9, 0, 4])):
            _Recorded.asked = []
            x, y = next(iter(DataLoader(data, 3)))
            scale = 1 if cut else 2
            assert x.numpy().ravel().tolist() == [scale * v for v in order], type(dataset).__name__
            assert x.dtype == np.float32 and y.dtype == np.int64
            one_by_one = ["int"] * 3 if isinstance(dataset, ArrayDataset) else []  # (a Tensor records nothing)
            assert _Recorded.asked == (["ndarray"] if cut else one_by_one), type(dataset).__name__
    batch = next(iter(DataLoader(TensorDataset(mg.tensor(images), mg.tensor(labels)), 4)))
    assert [t.numpy().ravel().tolist() for t in batch] == [[0.0, 1.0, 2.0, 3.0], [0, 1, 2, 0]]

    class Pairs:  # not a Dataset: cut a batch at a time, as before
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return np.asarray(index, dtype=np.float32) * 10, np.asarray(index)

    x, i = next(iter(DataLoader(Pairs(), 3)))
    assert x.numpy().tolist() == [0.0, 10.0, 20.0] and i.numpy().tolist() == [0, 1, 2]


def test_a_sequential_with_an_empty_slot_names_it_when_called():
    seq = nn.Sequential(nn.Linear(2, 2), None, nn.Tanh())
    with pytest.raises(TypeError, match=r"Sequential: layer 1 is None \(an empty slot\); put a layer there, "
                                        r"seq\[1\] = nn.ReLU\(\), or remove it, del seq\[1\]"):
        seq(mg.ones(1, 2))
    del seq[1]
    assert seq(mg.ones(1, 2)).shape == (1, 2)


def test_gradgradcheck_takes_torchs_grad_outputs_third():
    x = mg.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
    u = mg.tensor([1.0, 2.0, -1.0], dtype="float64")
    assert mg.gradgradcheck(lambda t: t * t * t, [x], u)  # torch's order: fn, inputs, grad_outputs
    assert mg.gradgradcheck(lambda t: t * t * t, [x], grad_outputs=[u])
    with pytest.raises(ValueError, match=r"gradgradcheck: grad_outputs must be one tensor per output of fn, shaped "
                                         r"as it: shapes \[\(3,\)\], got \[\(2,\)\]"):
        mg.gradgradcheck(lambda t: t * t * t, [x], mg.ones(2, dtype="float64"))


def test_gradgradcheck_refuses_grad_outputs_of_another_count_or_type_and_gradcheck_a_zero_step():
    # mutation testing: grad_outputs of two tensors for one output (zip dropped the extra), a NumPy array as
    # grad_outputs, and eps=0 (a step that divides by zero) were not tested
    x = mg.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    u = mg.ones(2, dtype="float64")
    for wrong, got in [([u, u], r"\[\(2,\), \(2,\)\]"), (np.ones(2), r"\['ndarray'\]")]:
        with pytest.raises(ValueError, match=r"gradgradcheck: grad_outputs must be one tensor per output of fn, "
                                             rf"shaped as it: shapes \[\(2,\)\], got {got}"):
            mg.gradgradcheck(lambda t: t * t * t, [x], wrong)
    for eps in (0, 0.0, -1e-6):
        with pytest.raises(ValueError, match=r"gradcheck: eps is the finite-difference step, a number > 0"):
            mg.gradcheck(lambda t: t * t, [x], eps=eps)


def test_load_state_dict_ignores_the_keys_below_a_nested_empty_slot_as_torch():
    # mutation testing: the ignored prefix of an empty slot one level down ("block.conv.") was untested
    def outer(lib):
        net = lib.Module()
        net.block, net.head = _net(lib), lib.Linear(1, 1)
        return net

    ours, theirs = outer(nn), outer(torch.nn)
    checkpoint = ours.state_dict()
    ours.block.conv = theirs.block.conv = None
    assert ours.load_state_dict(checkpoint) == ([], [])
    torch_checkpoint = {k: torch.tensor(v.numpy()) for k, v in outer(torch.nn).state_dict().items()}
    assert theirs.load_state_dict(torch_checkpoint).unexpected_keys == []
    assert ours.load_state_dict({**checkpoint, "conv.weight": mg.zeros(2, 2)},  # the slot is block's, not the root's
                                strict=False).unexpected_keys == ["conv.weight"]


def test_parameters_on_two_devices_are_refused_by_parameters_to_vector_and_back(device):
    # mutation testing: the devices check had no test (it needs a second device: runs with device='cuda')
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    params = [mg.zeros(2), mg.zeros(3, device=device)]
    with pytest.raises(TypeError, match=r"parameters_to_vector: the parameters are on different devices "
                                        r"\(cpu, cuda\); move the whole model to one device first"):
        nn.utils.parameters_to_vector(params)
    with pytest.raises(TypeError, match=r"vector_to_parameters: the parameters are on different devices"):
        nn.utils.vector_to_parameters(mg.zeros(5), params)
    assert params[0].tolist() == [0.0, 0.0]

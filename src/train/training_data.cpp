#include "idealgas/train/training_data.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"
#include "idealgas/data/dataset_files.hpp"
#include "idealgas/data/synthetic.hpp"

namespace idealgas::train {

namespace {

ImageTensorData to_tensor_data(const data::ImageDataset& ds, const data::ChannelNormalisation& norm) {
  const data::ImageDataset padded = data::pad_images(ds, kNetworkInputSize, kNetworkInputSize);
  return {padded.n, data::normalised_pixels(padded, norm), padded.labels};
}

data::ImageDataset subset(const data::ImageDataset& ds, long long per_class, std::uint64_t key) {
  return per_class > 0 ? data::balanced_subset(ds, static_cast<std::size_t>(per_class), key) : ds;
}

}  // namespace

nlohmann::json TrainingData::to_json() const {
  return {{"description", description}, {"channels", channels}, {"classes", classes},
          {"train_images", train.n},     {"test_images", test.n},  {"normalisation_mean", normalisation.mean},
          {"normalisation_std", normalisation.std}};
}

TrainingData prepare_training_data(const TrainConfig& config) {
  if (config.model.arch == Architecture::isotropic) {  // its batches are noise draws: no data is read
    TrainingData none;
    // d is printed beside it by the run's header line.
    none.description = fmt::format("isotropic model, sigma2 = {} (no data set; [data] is not used)",
                                   config.model.iso_sigma2);
    return none;
  }
  const DataConfig& d = config.data;
  data::ImageDataset train, test;
  data::ChannelNormalisation norm;
  if (d.dataset == "fashion-mnist") {
    const std::string dir = d.path.empty() ? data::kDebianFashionMnistDir : d.path;
    train = data::load_fashion_mnist(dir, data::Split::train);
    test = data::load_fashion_mnist(dir, data::Split::test);
    norm = data::channel_statistics(train);  // over the full training set, before any subset
  } else if (d.dataset == "cifar10" || d.dataset == "cifar100") {
    const bool c10 = d.dataset == "cifar10";
    train = c10 ? data::load_cifar10(d.path, data::Split::train) : data::load_cifar100(d.path, data::Split::train);
    test = c10 ? data::load_cifar10(d.path, data::Split::test) : data::load_cifar100(d.path, data::Split::test);
    norm = c10 ? data::cifar10_normalisation() : data::cifar100_normalisation();
  } else {
    data::SyntheticSpec spec;
    spec.channels = static_cast<std::size_t>(d.synthetic_shape[0]);
    spec.height = static_cast<std::size_t>(d.synthetic_shape[1]);
    spec.width = static_cast<std::size_t>(d.synthetic_shape[2]);
    spec.classes = static_cast<int>(d.synthetic_classes);
    spec.n = static_cast<std::size_t>(d.synthetic_train);
    train = data::make_synthetic(spec, config.data_key());
    spec.n = static_cast<std::size_t>(d.synthetic_test);
    test = data::make_synthetic(spec, config.data_key(), static_cast<std::uint64_t>(d.synthetic_train));
    norm = data::channel_statistics(train);
  }
  if (train.height > kNetworkInputSize || train.width > kNetworkInputSize)
    throw InputError(fmt::format("{}: images of {}x{} are larger than the networks' 32x32 input", train.name,
                                 train.height, train.width));
  TrainingData out;
  // Subsets come from the data seed, split by role so that train and test draws never share numbers.
  const data::ImageDataset train_sub = subset(train, d.train_per_class, derive_stream_key(config.data_key(), {1}));
  const data::ImageDataset test_sub = subset(test, d.test_per_class, derive_stream_key(config.data_key(), {2}));
  out.description = fmt::format("{}: {} training and {} test images", d.dataset, train_sub.n, test_sub.n);
  out.channels = train.channels;
  out.height = train.height;
  out.width = train.width;
  out.classes = train.classes;
  out.normalisation = norm;
  out.train = to_tensor_data(train_sub, norm);
  out.test = to_tensor_data(test_sub, norm);
  return out;
}

}  // namespace idealgas::train

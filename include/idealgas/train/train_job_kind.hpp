// The sweep's job kind for network training (`idealgas train`, one configuration per job): grid configs with
// kind = "train" name a train preset as their base and axes over any train key ("protocol.eta_eff",
// "train.batch_size", ...). It lives with the trainer because it validates through TrainConfig; torch-free.
#pragma once

#include "idealgas/sweep/job_kind.hpp"

namespace idealgas::train {

const JobKind& train_job_kind();

}  // namespace idealgas::train

// What `train --nproc`'s launcher and the processes it starts agree on: a process that
// stopped only because others failed says so on this marked line and exits with EXIT_LOST,
// so that the launcher can name the rank that caused the failure.
export const LAUNCHED = "MODALFUSE_LAUNCHED";
export const LOST_MARKER = "modalfuse-ranks-lost: ";
export const EXIT_LOST = 3;

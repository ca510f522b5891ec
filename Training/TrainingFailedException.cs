namespace GridTime.Training;

/// <summary>Training stopped early because a worker failed; the message says why in one line.</summary>
public sealed class TrainingFailedException(string message, Exception inner) : Exception(message, inner);

using GridTime.Agents;
using GridTime.Environment;

namespace GridTime.Training.Config;

/// <summary>
/// How much memory a training run needs, estimated from its settings before anything is allocated, so that a
/// network or batch that cannot fit is refused in one line instead of failing inside libtorch.
/// </summary>
public static class MemoryEstimate
{
    /// <summary>Encoder convolutions: conv1 3→16 channels 8x8 (3·16·64 + 16) plus conv2 16→32 channels 4x4 (16·32·16 + 32).</summary>
    public const long ConvolutionParameters = (3 * 16 * 8 * 8) + 16 + (16 * 32 * 4 * 4) + 32;

    /// <summary>Flattened conv2 output read by the encoder's fully connected layer: 32 channels of 5x5.</summary>
    public const long EncoderFeatures = 32L * ConvEncoder.Conv2Side * ConvEncoder.Conv2Side;

    /// <summary>
    /// Parameters (floats) of the network of <paramref name="config"/>, counted from the layer shapes (h = Hidden,
    /// A = 5 actions): convolutions 11 312; encoder output 800·h + h; the core's own count and output width o from its
    /// row of <see cref="CoreTable"/>; the heads (o + 1)·(A + 1).
    /// </summary>
    public static long Parameters(TrainConfig config)
    {
        (long core, long output) = CoreTable.Of(config.Agent).Size(config.Network);
        long encoder = ConvolutionParameters + (EncoderFeatures * config.Hidden) + config.Hidden;
        long heads = (output + 1) * (ActorCritic.Actions + 1);
        return encoder + core + heads;
    }

    /// <summary>
    /// Floats kept per frame of a rollout: the observation 3·56², conv1's output 16·13², conv2's 32·5², and from
    /// the encoder on 10·h + 4·k (features, the LSTM's input, four gates, h and c, the unit's and heads' outputs).
    /// </summary>
    public static long ActivationsPerFrame(TrainConfig config) =>
        (3L * FrameRenderer.ImageSize * FrameRenderer.ImageSize) + (16L * ConvEncoder.Conv1Side * ConvEncoder.Conv1Side)
        + EncoderFeatures + (10L * config.Hidden) + (4L * config.ArithmeticWidth);

    /// <summary>
    /// Bytes a run of <paramref name="config"/> needs at least, in 4-byte floats:
    /// 4 · [P · (3 + 2·W) + W · E · n · F], with P = <see cref="Parameters"/>, W workers, E environments per worker,
    /// n steps per rollout and F = <see cref="ActivationsPerFrame"/>. The P term counts the shared weights, Adam's
    /// two moments, and for each worker its copy of the weights and its gradients; the second term each worker's
    /// rollout activations. Computed in doubles, so any settings give a finite number.
    /// </summary>
    public static double Bytes(TrainConfig config)
    {
        double p = Parameters(config), w = config.Workers;
        double activations = w * config.EnvsPerWorker * (double)config.Steps * ActivationsPerFrame(config);
        return 4 * ((p * (3 + (2 * w))) + activations);
    }

    /// <summary>Memory the process can use: <see cref="GC.GetGCMemoryInfo()"/>'s TotalAvailableMemoryBytes (physical memory or the container's limit).</summary>
    public static long AvailableBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>"1.5 GiB", "300.0 MiB", for messages.</summary>
    public static string Show(double bytes) => bytes >= 1 << 30
        ? $"{(bytes / (1 << 30)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} GiB"
        : $"{(bytes / (1 << 20)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} MiB";
}

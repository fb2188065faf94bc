package dev.nfn4j.zoo;

import java.util.Arrays;

/**
 * Train, validation and test networks of a dataset, as indices into it. The arrays are
 * copied in and out, so a Splits never changes.
 */
public record Splits(int[] train, int[] val, int[] test) {
    /** Copies the index arrays. */
    public Splits {
        train = train.clone();
        val = val.clone();
        test = test.clone();
    }

    /**
     * nfn's split of {@code n} networks ({@code ZooDataset._split_indices_iid}): the second half
     * {@code [int(0.5 n), n)} is the test set, in order; the first half is shuffled with Python's
     * {@code random.Random(seed)} and its first {@code int(0.8 * size)} become the training set,
     * the rest validation. With seed 0 this is exactly nfn's split.
     */
    public static Splits nfn(int n, long seed) {
        if (n < 0) throw new IllegalArgumentException("negative dataset size " + n);
        int testStart = (int) (0.5 * n);
        int[] trainVal = new int[testStart];
        for (int i = 0; i < testStart; i++) trainVal[i] = i;
        new PythonRandom(seed).shuffle(trainVal);
        int valStart = (int) (0.8 * testStart); // the same double product Python floors
        int[] test = new int[n - testStart];
        for (int i = 0; i < test.length; i++) test[i] = testStart + i;
        return new Splits(Arrays.copyOf(trainVal, valStart), Arrays.copyOfRange(trainVal, valStart, testStart), test);
    }

    /** The training networks' indices. */
    @Override
    public int[] train() {
        return train.clone();
    }

    /** The validation networks' indices. */
    @Override
    public int[] val() {
        return val.clone();
    }

    /** The test networks' indices. */
    @Override
    public int[] test() {
        return test.clone();
    }

    /** The named split: "train", "val" (or "validation") or "test". */
    public int[] get(String name) {
        return switch (name) {
            case "train" -> train();
            case "val", "validation" -> val();
            case "test" -> test();
            default -> throw new IllegalArgumentException("unknown split '" + name + "' (expected train, val or test)");
        };
    }

    /**
     * Checks that every index lies in [0, n) and that no network is in two splits (or twice in one).
     *
     * @throws IllegalArgumentException naming the split and the index
     */
    public void validate(int n) {
        String[] owner = new String[n];
        check("train", train, owner);
        check("val", val, owner);
        check("test", test, owner);
    }

    private static void check(String name, int[] idx, String[] owner) {
        for (int i : idx) {
            if (i < 0 || i >= owner.length)
                throw new IllegalArgumentException("split " + name + ": index " + i + " is outside the dataset's " + owner.length + " networks");
            if (owner[i] != null)
                throw new IllegalArgumentException("split " + name + ": network " + i + " is already in split " + owner[i]);
            owner[i] = name;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Splits s && Arrays.equals(train, s.train) && Arrays.equals(val, s.val) && Arrays.equals(test, s.test);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(train) * 31 + Arrays.hashCode(val)) * 31 + Arrays.hashCode(test);
    }

    @Override
    public String toString() {
        return "Splits[train=" + train.length + ", val=" + val.length + ", test=" + test.length + "]";
    }
}
